"""A menu's words, kept per language once looked up, are still each caller's own language."""

from __future__ import annotations

from helpers import walk_to_main_menu

from ivr import flow

FRENCH = ("Pour parler à un conseiller, tapez 0.", "Pour réécouter ces choix, tapez étoile.")
ARABIC = (
    "للتحدث مع أحد الموظفين، اضغطوا على 0.",
    "لإعادة الاستماع إلى هذه الخيارات، اضغطوا على زر النجمة.",
)


def test_callers_in_turn_in_two_languages_each_hear_their_own_menu(call):
    flow._TRANSLATED.clear()  # the first caller in each language looks the words up
    for code, words, other in (("fr", FRENCH, ARABIC), ("ar", ARABIC, FRENCH)) * 2:
        turn = walk_to_main_menu(call(), code)
        for sentence in words:
            assert sentence in turn.text
        for sentence in other:
            assert sentence not in turn.text
    assert ("To hear these choices again, press star.", "fr") in flow._TRANSLATED


def test_a_spoken_choice_is_understood_in_the_callers_language(call):
    speaking, pressing = call(), call()
    walk_to_main_menu(speaking, "fr")
    walk_to_main_menu(pressing, "fr")
    said = speaking.speak("conseiller")  # one of the French words of the agent's option
    pressed = pressing.press("0")
    assert said.text == pressed.text
    assert "Pour parler à un conseiller" not in said.text  # not the main menu again
