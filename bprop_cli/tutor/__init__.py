"""Narration: a Trace told as numbered plain-English steps (Blocks), layer walkthroughs and
concept lessons. Imports engine/ and below; Blocks are drawn by views/."""
