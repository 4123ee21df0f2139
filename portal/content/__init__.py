"""Multilingual user text: titles and descriptions kept in their original language plus versions."""
