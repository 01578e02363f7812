"""Wire formats that more than one room speaks (the checks, identification, the lab).

A leaf: it imports nothing from the rest of kenshin, so any room may use it without
reaching sideways into another.
"""
