"""For instructors (issue 15): exercise variants and grading a whole class."""
