"""Prescreen: plain Python (no Django) checks on one chat message's text.

``text`` cleans and folds, ``content`` applies the per-message rules (length, links, emoji, spam),
``banned`` and ``injection`` look for words and tricks, ``duplicates`` finds near-duplicates, and
``remote`` asks an OpenAI-compatible endpoint (moderations, guardrail) when moderators enable it.
"""
