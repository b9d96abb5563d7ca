"""Raw records -> validated tables -> per-student indicators as of a date."""
