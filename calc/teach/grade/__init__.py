"""nncalc grade (issue 15): a whole class's answers checked against a problem (or each student's
variant), as a gradebook with partial credit and a class report.

    from calc.teach.grade import Credit, grade_class
    book = grade_class("networks/mazur", "submissions/", Credit.parse("carried=0.5"))

Modules: credit (the points per verdict), submissions (answers files, a CSV, variants by id),
checking (calc.check's Checker with the problem solved once), book (the records and the class
statistics), parallel (the class over the cores), render (CSV, JSON, Markdown, terminal).
The checker decides every verdict and slip (calc.check); nothing here re-judges a number.
"""

from calc.teach.grade.book import Gradebook, ItemRow, StudentResult
from calc.teach.grade.credit import Credit
from calc.teach.grade.parallel import grade_class

__all__ = ["Credit", "Gradebook", "ItemRow", "StudentResult", "grade_class"]
