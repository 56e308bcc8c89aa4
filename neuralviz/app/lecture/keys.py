"""The presenter's keys, caught for the presenter and its notes window before any widget inside a scene
sees them (a focused button must not eat Space, an embedded page must not take PageDown).

    PageDown / Right / Down / clicker "next"    next scene        PageUp / Left / Up    previous scene
    Home / End          first / last scene       R        reset the scene (fresh weights, step 0)
    Space               play / pause             B or .   blank screen (any key brings it back)
    F                   full screen on / off     Esc      leave the spotlight, blank or full screen
    Z (or middle click) spotlight the item under the mouse
    N                   show / hide the notes window    L        large fonts on / off (a big room)
    Ctrl+R              record on / off                 Ctrl+Q   quit

Clickers send PageDown/PageUp (most), and "." or B for their blank button.
"""

from __future__ import annotations

import traceback

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

K = Qt.Key
KEYS = {
    K.Key_PageDown: "next_scene",
    K.Key_Right: "next_scene",
    K.Key_Down: "next_scene",
    K.Key_PageUp: "previous_scene",
    K.Key_Left: "previous_scene",
    K.Key_Up: "previous_scene",
    K.Key_Home: "first_scene",
    K.Key_End: "last_scene",
    K.Key_R: "reset_scene",
    K.Key_Space: "toggle_play",
    K.Key_B: "toggle_blank",
    K.Key_Period: "toggle_blank",
    K.Key_F: "toggle_full_screen",
    K.Key_Escape: "escape",
    K.Key_Z: "toggle_spotlight",
    K.Key_N: "toggle_notes",
    K.Key_L: "toggle_large_fonts",
}
CTRL_KEYS = {K.Key_R: "toggle_recording", K.Key_Q: "close"}
_TEXT_ENTRY = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)
_EDIT_KEYS = {K.Key_Space, K.Key_Left, K.Key_Right, K.Key_Up, K.Key_Down, K.Key_Home, K.Key_End}


def action_for(key: int, modifiers) -> str | None:
    """The presenter method a key press calls, or None."""
    ctrl = bool(modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier))
    if ctrl:
        return CTRL_KEYS.get(key)
    if modifiers & Qt.KeyboardModifier.AltModifier:
        return None
    return KEYS.get(key)


class PresenterKeys(QObject):
    """Application event filter: key presses (and middle clicks) in the presenter's windows go to it."""

    def __init__(self, presenter):
        super().__init__(presenter)
        self.presenter = presenter
        QApplication.instance().installEventFilter(self)

    def remove(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def _ours(self, obj) -> bool:
        if not isinstance(obj, QWidget):
            return False
        top = obj.window()
        return top is self.presenter or top is self.presenter.notes

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.KeyPress and self._ours(obj):
            return self._key(obj, event)
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.MiddleButton and self._ours(obj):
            self.presenter.toggle_spotlight(event.globalPosition().toPoint())
            return True
        return False

    def _key(self, obj, event) -> bool:
        p = self.presenter
        if p.is_blank():  # any key brings the scene back
            p.toggle_blank()
            return True
        key = event.key()
        if isinstance(obj, _TEXT_ENTRY) and (key in _EDIT_KEYS or K.Key_A <= key <= K.Key_Z or key == K.Key_Period):
            return False  # typing in a field of the scene (a learning rate): the field gets its keys
        action = action_for(key, event.modifiers())
        if action is None:
            return False
        try:
            getattr(p, action)()
        except Exception as err:  # noqa: BLE001 - a view's bug costs that key press, not the talk
            traceback.print_exc()
            p.say(f"{action.replace('_', ' ')} failed: {type(err).__name__}: {err}")
        return True
