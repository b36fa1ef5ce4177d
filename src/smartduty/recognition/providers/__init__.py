"""Adapters of the `PlateRecognizer` port. The offline engine lives in `recognition.engine`."""
