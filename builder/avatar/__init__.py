"""The character: drawn (or loaded from PNGs) once into sprite sets, then composed per frame."""
