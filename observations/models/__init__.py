"""Observations: master data (stations, instruments, channels, observation items) in
``master``; what else the app stores lives in a module of its own beside it."""

from .changes import MasterDataChange
from .master import Channel, Instrument, ObservationItem, SamplingInterval, Station
from .series import DayValuesBinary, SeriesDay, SeriesImport  # noqa: F401

__all__ = ["Channel", "Instrument", "MasterDataChange", "ObservationItem", "SamplingInterval", "Station"]
