"""Readers and writers: all the knowledge of file formats lives here."""
