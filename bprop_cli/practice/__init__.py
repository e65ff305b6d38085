"""Practice: questions made from a Trace, the learner's answers marked, made-up exercises.
Imports tutor/, engine/ and below; never prints."""
