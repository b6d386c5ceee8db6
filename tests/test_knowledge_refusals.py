"""The guide's refusals are the centre's `Refused`: what the page shows is their `message`."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from centre.refusals import Refused
from knowledge import transfer
from knowledge.editing import EditConflict, EditRefused
from knowledge.models import ServiceTranslation


def test_an_import_refusal_reads_in_the_language_of_the_page(app):
    with app.test_request_context(), pytest.raises(Refused) as caught:
        transfer.parse("services: [unclosed")
    refused = caught.value
    assert isinstance(refused, transfer.ImportRefused)
    with app.test_request_context(), force_locale("fr"):
        assert refused.message.startswith("ligne ")
    with app.test_request_context(), force_locale("en"):
        assert refused.message.startswith("line ")


def test_an_edit_refusal_and_a_conflict_are_refusals_with_a_message(app):
    assert issubclass(EditRefused, Refused)
    theirs = ServiceTranslation(version=4, created_by="amina@example.org")
    conflict = EditConflict(theirs)
    assert isinstance(conflict, Refused)
    assert str(conflict) == "text is at version 4 with other content"  # the shell's words
    with app.test_request_context(), force_locale("fr"):
        assert "amina@example.org" in conflict.message
        assert "(version 4" in conflict.message
        assert "Nothing of yours" not in conflict.message  # French, not English
