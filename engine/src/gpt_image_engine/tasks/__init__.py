"""The work of each operation inside a job (images, transparent, requests, recovery) and what
happens to a job's outputs afterwards (`delivery`: uploads, then notifications).
"""
