"""Scoping-matrix rows of the recognition app (merged by `test_scoping_matrix.py`)."""

UNSCOPED = {
    "recognition-read_plate": "reads an uploaded image, touches no rows",
}
