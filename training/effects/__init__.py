"""Effects of home visits: did the visits work? (DESIGN.md, "Did the visits work?")."""
