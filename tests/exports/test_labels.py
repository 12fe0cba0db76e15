"""R22: every catalogue label and choice value exists in every export language."""

from __future__ import annotations

from invoice_tui.domain import catalogue
from invoice_tui.domain.catalogue import LANGUAGES
from invoice_tui.exports import labels
from invoice_tui.exports.columns import CHOICE, column


def test_r22_every_label_and_choice_value_in_all_four_languages():
    assert set(LANGUAGES) == {"en", "fr", "de", "es"}
    missing = [f"{table}.{key}.{lang}" for table, entries in labels.label_tables().items()
               for key, by_lang in entries.items() for lang in LANGUAGES
               if not (by_lang.get(lang) or "").strip()]
    assert missing == []


def test_r22_every_choice_property_has_a_label_for_each_of_its_values():
    for prop in catalogue.PROPERTIES:
        if prop.type == "choice" and prop.choices:
            assert set(prop.choices) <= set(catalogue.CHOICE_LABELS[prop.id]), prop.id
            assert column(prop.id).kind == CHOICE


def test_r22_payment_words_cover_every_method_and_state():
    from invoice_tui.domain.payments import METHODS, STATES

    assert set(METHODS) <= set(labels.PAYMENT_METHOD_LABELS)
    assert set(STATES) <= set(labels.PAYMENT_STATE_LABELS)


def test_r22_headers_are_distinct_in_each_language():
    for lang in LANGUAGES:
        heads = [labels.header(p.id, lang) for p in catalogue.PROPERTIES] + [
            labels.header(a, lang) for a in labels.ASSOCIATIONS]
        assert len(heads) == len(set(heads)), lang
