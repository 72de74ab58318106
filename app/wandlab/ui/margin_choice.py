"""How readily the board answers: the open-set margin Train & Flash calibrates every gesture with.

The same margin as ``wandlab train-and-flash --margin`` (``onboard.open_set``: 0 strict .. 1 lenient).
Strict ignores more motion that is no gesture and misses more real ones; lenient the other way round.
The choice is the project's: saved in it (``SETTING``) and shown again when it is opened.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

CHOICES = (
    ("Strict", 0.2, "Ignores more motion that is no gesture; some real gestures go unanswered"),
    ("Balanced", 0.5, "The default: about 1 unknown gesture in 11 accepted on real sets the model never saw"),
    ("Lenient", 0.8, "Answers more of your gestures; other motion sets off a key more often"),
)
DEFAULT = "Balanced"
SETTING = "train.acceptance"  # Project.setting key: one of CHOICES' names


class MarginChoice(QComboBox):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        for name, margin, why in CHOICES:
            self.addItem(name, margin)
            self.setItemData(self.count() - 1, why, 3)  # 3 = Qt.ToolTipRole
        self.setCurrentText(DEFAULT)
        self.setToolTip("How readily the board answers a motion with a gesture (open-set margin; "
                        "applies at the next Train && Flash)")
        self.setAccessibleName("Gesture acceptance")

    def choose(self, name: str) -> None:
        """Show `name` (a saved setting); an unknown one (a newer version's) shows the default."""
        self.setCurrentText(name if name in (c[0] for c in CHOICES) else DEFAULT)

    def margin(self) -> float:
        return float(self.currentData())

    def margins(self, explicit: dict[str, float]) -> dict[str, float]:
        """``explicit`` per-gesture margins (``--class-margin``) stay; every other gesture gets this one."""
        return {**explicit, "*": self.margin()}
