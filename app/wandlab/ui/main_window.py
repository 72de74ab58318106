"""The main window: device panel on the left, pages in the middle, loss counters at the bottom.

Pages are plain widgets added with ``add_page(name, widget)``; the Live page comes first. The
window owns the one DeviceSession, Notifier and TaskRunner that every page shares. Closing it
disconnects the board first (stops the stream, closes the port), switches the simulated Bluetooth
devices off (the paired computer, the app's in-process adapter: Bumble needs the event loop to do it),
and only then lets the window go.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from wandlab.board.client import ConnectionState
from wandlab.link.serial_link import list_serial_ports
from wandlab.ui.about import install_help_menu
from wandlab.ui.dataset_page import DatasetPage
from wandlab.ui.device_panel import DevicePanel, PortLister
from wandlab.ui.firmware_dialog import install_board_menu
from wandlab.ui.live_test_page import LiveTestPage
from wandlab.ui.live_view import LivePage
from wandlab.ui.notify import Banner, BannerRow, Notifier, TaskRunner
from wandlab.ui.paired_computer_panel import PairedComputerPanel
from wandlab.ui.project_menu import ProjectHolder, install_menus
from wandlab.ui.record_page import RecordPage
from wandlab.ui.session import DeviceSession
from wandlab.ui.status import StatusBar
from wandlab.ui.train_page import TrainPage
from wandlab.ui.virtual_panel import VirtualPanel
from wandlab.ui.wand_scan import WandScanner, scan_wands
from wandlab.ui.word_wizard import install_word_menu

CLOSE_TIMEOUT_S = 5.0  # never let a wedged port keep the window from closing
SIDE_WIDTH = 285  # the device panel: narrow enough that every page still fits a 1280 px screen


class MainWindow(QMainWindow):
    closed = Signal()  # emitted once the board is released and the window is really closing

    def __init__(self, session: DeviceSession | None = None, list_ports: PortLister | None = None,
                 project: str | None = None, scanner: WandScanner = scan_wands) -> None:
        super().__init__()
        self.session = session or DeviceSession()
        self.notifier = Notifier(self)
        self.session.on_problem(self.notifier.error)  # e.g. a view that stopped handling board data
        self.runner = TaskRunner(self.notifier)
        self._closing = False
        self._released = False
        self.setWindowTitle("Wandlab")
        self.resize(1280, 800)

        self.device_panel = DevicePanel(self.session, self.runner, list_ports or list_serial_ports, scanner)
        self.virtual_panel = VirtualPanel(self.session, self.runner)
        self.virtual_panel.install_shortcuts(self)
        self.computer_panel = PairedComputerPanel(self.session, self.runner)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.device_panel)
        side_layout.addWidget(self.virtual_panel)
        side_layout.addWidget(self.computer_panel)
        side_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(SIDE_WIDTH)
        self.side_scroll = scroll
        # Once the panel has its new size (the next turn of the event loop), bring all of it into view.
        self.computer_panel.wants_view.connect(lambda: QTimer.singleShot(
            0, lambda: scroll.ensureWidgetVisible(self.computer_panel, 0, 0)))

        self.banner = Banner(self.notifier)
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 6, 6, 0)
        centre_layout.addWidget(BannerRow(self.banner))  # a fixed row: messages never shift the page
        centre_layout.addWidget(self.pages, 1)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(scroll)
        row.addWidget(centre, 1)
        body_layout.addLayout(row)
        self.setCentralWidget(body)
        self.status = StatusBar(self.session, self.notifier)
        self.setStatusBar(self.status)

        self.live_page = LivePage(self.session)
        self.add_page("Live", self.live_page, "Sensors as they stream from the board")
        # Recording and the dataset share one open project (File > New/Open project).
        self.projects = ProjectHolder(self.notifier, self)
        self.record_page = RecordPage(self.session, self.projects, self.notifier, self.runner)
        self.add_page("Record", self.record_page, "Record labeled takes: Space or the board's button")
        self.dataset_page = DatasetPage(self.projects, self.notifier)
        self.add_page("Dataset", self.dataset_page, "Review, crop, split, relabel, import and export takes")
        self.train_page = TrainPage(self.session, self.projects, self.notifier, self.runner)
        self.add_page("Train", self.train_page, "Train & Flash: the project's takes to a model on the board (Ctrl+T)")
        self.live_test_page = LiveTestPage(self.session, self.projects, self.notifier, self.runner)
        self.add_page("Live test", self.live_test_page, "What the board recognises, the keys it presses, enroll")
        self.train_page.wants_live_test.connect(lambda: self.pages.setCurrentWidget(self.live_test_page))
        self.record_page.wants_focus.connect(lambda: self.pages.setCurrentWidget(self.record_page))
        self.record_page.open_sample.connect(self.review_sample)
        self.menu_actions = install_menus(self, self.projects)
        self.firmware_dialog = install_board_menu(self, self.runner)
        install_word_menu(self, self.live_test_page.open_word_wizard)
        self.live_test_page.virtual_person = self.virtual_panel.person.value
        self.about = install_help_menu(self)
        self.projects.changed.connect(
            lambda p: self.setWindowTitle("Wandlab" + (f" – {p.root}" if p is not None else "")))
        if project:
            self.projects.open(project)
        connect_key = QShortcut(QKeySequence("Ctrl+K"), self)
        connect_key.activated.connect(self.device_panel.toggle_connection)
        QShortcut(QKeySequence.StandardKey.Quit, self).activated.connect(self.close)
        self.session.on_state(self._on_state)
        self._pairing_text = ""
        self.session.on_pairing(self._on_pairing)

    def add_page(self, name: str, widget: QWidget, tooltip: str = "") -> int:
        """Add a page (tab) to the centre; returns its index. Ctrl+1.. switch pages in order."""
        index = self.pages.addTab(widget, name)
        if tooltip:
            self.pages.setTabToolTip(index, tooltip)
        QShortcut(QKeySequence(f"Ctrl+{index + 1}"), self).activated.connect(
            lambda i=index: self.pages.setCurrentIndex(i))
        return index

    def connect_to(self, spec: str) -> None:
        self.device_panel.connect_to(spec)

    def review_sample(self, sample_id: str) -> None:
        self.pages.setCurrentWidget(self.dataset_page)
        self.dataset_page.select([sample_id])

    # -- connection feedback --------------------------------------------------------------------
    def _on_state(self, state: ConnectionState, detail: str) -> None:
        if state is ConnectionState.DISCONNECTED and self.session.active:
            self.notifier.warning(f"Board disconnected: {detail}" if detail else "Board disconnected")
        elif state is ConnectionState.RECONNECTING:
            self.notifier.warning("Board disconnected – reconnecting… (plug the cable back in)")
        elif state is ConnectionState.CONNECTED:
            info = self.session.info
            name = info.board_name if info else "board"
            reconnected = bool(self.session.client and self.session.client.reconnects)
            self.notifier.info(f"Reconnected to {name}" if reconnected else f"Connected to {name}")

    def _on_pairing(self, text: str) -> None:
        # The banner says it too, the first time a link pairs: an operating system's pairing dialog may be
        # waiting for the user. Later ones (a reconnection) only re-encrypt with the bond, in milliseconds;
        # the device panel and the status bar show those.
        ble = self.session.ble_link()
        if text and ble is not None and ble.pairings <= 1:
            self.notifier.info(text)
            self._pairing_text = text
        elif not text and self._pairing_text:
            self.notifier.withdraw(self._pairing_text)
            self._pairing_text = ""

    # -- closing --------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self.record_page.shutdown()  # a take in progress is kept, not lost
        self.live_test_page.shutdown()
        self.train_page.cancel()
        simulated_radio = self.computer_panel.model.computer is not None or _bumble_in_use()
        if self._released or not (self.session.active or simulated_radio):
            self._released = True
            self.live_page.timer.stop()
            self.projects.close()
            event.accept()
            self.closed.emit()
            return
        # Release the board first (asynchronously), then close for real.
        event.ignore()
        if not self._closing:
            self._closing = True
            self.runner.run(self._release_then_close(), "Closing the connection")

    async def _release_then_close(self) -> None:
        try:
            await asyncio.wait_for(self.session.disconnect(), CLOSE_TIMEOUT_S)
        finally:
            with contextlib.suppress(Exception):  # closing must never hang on a simulated radio
                await asyncio.wait_for(self.power_off_simulated_radio(), CLOSE_TIMEOUT_S)
            self._released = True
            self.close()

    async def power_off_simulated_radio(self) -> None:
        await self.computer_panel.shutdown()
        if _bumble_in_use():
            from wandlab.link.bleak_bumble import close_adapters

            await close_adapters()


def _bumble_in_use() -> bool:
    """Whether the app's bleak-on-Bumble adapter may be powered (only ever loaded for the in-process radio)."""
    return "wandlab.link.bleak_bumble.adapter" in sys.modules
