"""Lip-sync: speech in, frames of the character saying it out (base class in `base`)."""
