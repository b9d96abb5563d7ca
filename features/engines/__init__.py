"""Engines that run the indicator code: `local` (numpy, schools in chunks) and `dask`."""
