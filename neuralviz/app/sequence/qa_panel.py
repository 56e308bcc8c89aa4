"""StoryPanel: ask the shipped memory network (assets/models/story-qa.nvz) about a story of your own.

A text box for the story (prefilled with the lecture's), a question box with the lecture's three questions one
click away, the answer with every place's probability as bars, and the attention over sentences per hop as a
table (sentence text readable, each hop's weight as a coloured cell): which sentence the net looked at.
The reading runs in the page's worker thread: the panel emits `asked` and draws what comes back in `show`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QBrush, QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ...data.story_qa import LECTURE_QUESTIONS, LECTURE_STORY, Reading
from ..common.elided_label import ElidedLabel
from ..common.panels import panel
from ..common.plot_style import style_plot
from ..common.theme import Theme, hex_to_rgb


class StoryPanel(QWidget):
    asked = pyqtSignal(str, str)  # story, question

    def __init__(self, theme: Theme):
        super().__init__()
        self.theme = theme
        self.reading: Reading | None = None
        self.question_answered = ""  # the question the answer shown is for
        self.story = QPlainTextEdit(LECTURE_STORY)
        self.question = QLineEdit(next(iter(LECTURE_QUESTIONS)))
        self.ask_button = QPushButton("Answer")
        self.quick = [QPushButton(q.removeprefix("Where is ")) for q in LECTURE_QUESTIONS]
        for b, q in zip(self.quick, LECTURE_QUESTIONS):
            b.setToolTip(q)
        self.answer = QLabel("Ask a question about the story.")
        self.answer.setWordWrap(True)
        self.answer.setProperty("role", "title")
        self.detail = QLabel()
        self.detail.setProperty("role", "hint")
        self.detail.setWordWrap(True)
        self.bars = pg.PlotWidget()
        self.bars.setMouseEnabled(False, False)
        self.bars.hideButtons()
        self.bars.setMinimumSize(160, 120)
        self.table = QTableWidget(0, 1)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumSize(200, 120)
        self._layout()
        self.ask_button.clicked.connect(self.ask)
        self.question.returnPressed.connect(self.ask)
        for b, q in zip(self.quick, LECTURE_QUESTIONS):
            b.clicked.connect(lambda _=False, q=q: self.ask_about(q))
        self.set_theme(theme)

    def _layout(self) -> None:
        ask_row = QWidget()
        row = QHBoxLayout(ask_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Question:"))
        row.addWidget(self.question, 1)
        row.addWidget(self.ask_button)
        quick_row = QWidget()
        qrow = QHBoxLayout(quick_row)
        qrow.setContentsMargins(0, 0, 0, 0)
        qrow.addWidget(QLabel("Where is"))
        for b in self.quick:
            qrow.addWidget(b)
        qrow.addStretch(1)
        self.story.setMinimumHeight(self.fontMetrics().height() * 8)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        grid.addWidget(panel(self.story, ask_row, quick_row, title="Story", margins=(8, 4, 8, 6), stretch=(1,)), 0, 0)
        grid.addWidget(
            panel(self.answer, self.detail, self.bars, title="Answer", margins=(8, 4, 8, 6), stretch=(0, 0, 1)), 1, 0
        )
        title = ElidedLabel("Attention over the sentences, per hop")
        title.setProperty("role", "title")
        grid.addWidget(panel(title, self.table, margins=(8, 4, 8, 6), stretch=(0, 1)), 0, 1, 2, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.bars.getPlotItem(), theme, {"bottom": "probability"})
        if self.reading is not None:
            self.show(self.reading)

    def ask_about(self, question: str) -> None:
        self.question.setText(question)
        self.ask()

    def ask(self) -> None:
        self.asked.emit(self.story.toPlainText(), self.question.text())

    # ------------------------------------------------------------------ drawing
    def show_error(self, text: str) -> None:
        """The answer box says what went wrong (its first clause: the unknown words); the page's banner and the
        hint below hold the whole message (the known words)."""
        first = text.splitlines()[0] if text else ""
        head, _, rest = first.partition(" (")
        self.answer.setText(f"Cannot answer: {head}")
        self.detail.setText(f"({rest}" if rest else "")
        self.reading = None
        self.bars.getPlotItem().clear()
        self.table.setRowCount(0)

    def show(self, reading: Reading) -> None:
        self.reading = reading
        self.detail.setText("")
        p = reading.probabilities
        self.answer.setText(f"A: {reading.answer}   ({100 * p[reading.answer]:.0f} %)")
        self._draw_bars(p, reading.answer)
        self._fill_table(reading)

    def _draw_bars(self, probabilities: dict[str, float], chosen: str) -> None:
        plot = self.bars.getPlotItem()
        plot.clear()
        names = list(probabilities)
        values = np.array([probabilities[n] for n in names])
        brushes = [self.theme.positive if n == chosen else self.theme.neutral for n in names]
        plot.addItem(
            pg.BarGraphItem(
                x0=0,
                y=np.arange(len(names)),
                height=0.7,
                width=values,
                brushes=brushes,
                pen=pg.mkPen(self.theme.muted_text),
            )
        )
        plot.getAxis("left").setTicks([[(k, n) for k, n in enumerate(names)]])
        plot.setXRange(0, 1, padding=0.02)
        plot.setYRange(-0.6, len(names) - 0.4, padding=0)

    def _fill_table(self, reading: Reading) -> None:
        hops = len(reading.attention)
        self.table.setColumnCount(1 + hops)
        self.table.setHorizontalHeaderLabels(["sentence", *(f"hop {k + 1}" for k in range(hops))])
        self.table.setRowCount(len(reading.sentences))
        hi = np.array(hex_to_rgb(self.theme.positive), dtype=np.float64)
        lo = np.array(hex_to_rgb(self.theme.background), dtype=np.float64)
        for r, sentence in enumerate(reading.sentences):
            self.table.setItem(r, 0, QTableWidgetItem(sentence))
            for k, att in enumerate(reading.attention):
                a = float(att[r])
                item = QTableWidgetItem(f"{a:.2f}")
                rgb = lo + (hi - lo) * min(1.0, a)
                item.setBackground(QBrush(QColor(*map(int, rgb))))
                item.setForeground(QBrush(QColor("#ffffff" if a > 0.55 else self.theme.text)))
                self.table.setItem(r, 1 + k, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for k in range(hops):
            header.setSectionResizeMode(1 + k, QHeaderView.ResizeMode.ResizeToContents)
        self.table.resizeRowsToContents()
