"""Observations: master data (stations, instruments, channels, observation items) in
``master``; what else the app stores lives in a module of its own beside it."""

from .changes import MasterDataChange
from .interference import InterferenceFactor
from .master import Channel, Instrument, ObservationItem, SamplingInterval, Station
from .qc import QcDay, QcFlag, QcReview, QcVerdict
from .qc_archive import QcArchive
from .series import DayValuesBinary, SeriesDay, SeriesDayEvidence, SeriesImport  # noqa: F401

__all__ = [
    "Channel",
    "Instrument",
    "InterferenceFactor",
    "MasterDataChange",
    "ObservationItem",
    "QcArchive",
    "QcDay",
    "QcFlag",
    "QcReview",
    "QcVerdict",
    "SamplingInterval",
    "Station",
]
