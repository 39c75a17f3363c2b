"""placeholder"""
FLAWS = {}
GROUPS = ()
