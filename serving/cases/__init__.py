"""The 控辍保学 casework ledger: cases and their transitions, "1 + N" teams, sync from the
data, monitoring county → township → school (→ village) and the spreadsheet reports.

Every table is keyed by (county, student_id); nothing in it is ever deleted.
"""
