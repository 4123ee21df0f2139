"""Reference data: cities, organisations, themes and Kyiv's districts."""
