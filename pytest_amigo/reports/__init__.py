"""Reports written from plain documents: the JSON report (and its schema), the HTML page (CSS and
JS beside it), the GitHub step summary, pytest-html extras and JUnit artifact references."""
