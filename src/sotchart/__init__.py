"""sotchart: the clinical system for chiropractors who practise Sacro Occipital Technique."""

__version__ = "0.1.0"
