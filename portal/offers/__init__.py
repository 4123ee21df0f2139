"""Offers of expertise from Stockholm's administrations and companies."""
