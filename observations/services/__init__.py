"""Writes of the observations app: the master data (stations, instruments, channels) change
only through an approved ``MasterDataChange`` (``changes``), applied by ``master_apply``
after ``master_values`` validated the values."""
