"""authfuzz: a security regression gate for python.org's release-management API.

Two invariants, checked by reading state back rather than trusting status
codes: no unauthenticated write is ever accepted, and no release-file URL
outside the allowed prefix is ever stored.
"""

__version__ = "0.1.0"
