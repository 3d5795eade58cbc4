"""Tables shaped after Open Referral HSDS 3.0, plus what recovery needs and HSDS lacks.

Ids are strings, as in HSDS, so imports keep the source's ids (re-importing updates, never
duplicates). Our additions: the need `category` on services, bed `capacity_*` columns, the
`timezone` of a location (schedules are read in local time), and `search_entry`, a denormalised
row per service-at-location that geo search reads (see directory/catalog/search/nearby.py).
Models never commit; callers frame `with Session.begin():`.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (Boolean, Date, DateTime, Float, ForeignKey, Index, Integer,
                        String, Text, Time)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.base import Base, new_id, utcnow


class Organization(Base):
    __tablename__ = "organization"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(300))
    alternate_name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    legal_status: Mapped[str | None] = mapped_column(String(100))
    year_incorporated: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(50))  # 'demo', 'meeting-guide', 'hsds', ...

    services: Mapped[list[Service]] = relationship(back_populates="organization")
    locations: Mapped[list[Location]] = relationship(back_populates="organization")


class Service(Base):
    __tablename__ = "service"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    alternate_name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(30), default="active")  # HSDS enum
    category: Mapped[str | None] = mapped_column(String(30), index=True)  # one of vocab.CATEGORIES
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)  # what to bring, how to get in
    fees_description: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    alert: Mapped[str | None] = mapped_column(Text)
    # HSDS assured_date / assurer_email: when the listing was last verified, and by whom.
    assured_date: Mapped[dt.date | None] = mapped_column(Date)
    assurer_email: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Capacity (HSDS 3.1 has a capacity table; one per service is what sober living needs).
    capacity_available: Mapped[int | None] = mapped_column(Integer)
    capacity_maximum: Mapped[int | None] = mapped_column(Integer)
    capacity_unit: Mapped[str | None] = mapped_column(String(30))  # 'beds', 'rooms', 'seats'
    capacity_updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    capacity_updated_by: Mapped[str | None] = mapped_column(String(200))

    organization: Mapped[Organization] = relationship(back_populates="services")
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="service", cascade="all, delete-orphan")
    schedules: Mapped[list[Schedule]] = relationship(
        back_populates="service", cascade="all, delete-orphan", foreign_keys="Schedule.service_id")
    phones: Mapped[list[Phone]] = relationship(
        cascade="all, delete-orphan", foreign_keys="Phone.service_id")
    languages: Mapped[list[Language]] = relationship(
        cascade="all, delete-orphan", foreign_keys="Language.service_id")


class Location(Base):
    __tablename__ = "location"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    location_type: Mapped[str] = mapped_column(String(20), default="physical")  # physical|postal|virtual
    url: Mapped[str | None] = mapped_column(String(500))  # for virtual locations (online meetings)
    name: Mapped[str | None] = mapped_column(String(300))
    alternate_name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)  # bus lines, parking
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name; schedules are local
    external_identifier: Mapped[str | None] = mapped_column(String(100))
    external_identifier_type: Mapped[str | None] = mapped_column(String(100))

    organization: Mapped[Organization | None] = relationship(back_populates="locations")
    addresses: Mapped[list[Address]] = relationship(back_populates="location", cascade="all, delete-orphan")
    phones: Mapped[list[Phone]] = relationship(cascade="all, delete-orphan", foreign_keys="Phone.location_id")
    accessibility: Mapped[list[Accessibility]] = relationship(cascade="all, delete-orphan")


class ServiceAtLocation(Base):
    __tablename__ = "service_at_location"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service] = relationship(back_populates="service_at_locations")
    location: Mapped[Location] = relationship()


class Address(Base):
    __tablename__ = "address"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    attention: Mapped[str | None] = mapped_column(String(200))
    address_1: Mapped[str] = mapped_column(String(300), default="")
    address_2: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str | None] = mapped_column(String(100))
    state_province: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="", index=True)
    country: Mapped[str] = mapped_column(String(2), default="US")
    address_type: Mapped[str] = mapped_column(String(20), default="physical")

    location: Mapped[Location] = relationship(back_populates="addresses")

    def one_line(self) -> str:
        street = ", ".join(p for p in (self.address_1, self.address_2) if p)
        tail = " ".join(p for p in (self.state_province, self.postal_code) if p)
        return ", ".join(p for p in (street, self.city, tail) if p)


class Phone(Base):
    __tablename__ = "phone"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(50))
    extension: Mapped[str | None] = mapped_column(String(20))
    type: Mapped[str | None] = mapped_column(String(20))  # text, voice, fax, cell, video, pager, textphone
    description: Mapped[str | None] = mapped_column(Text)


class Schedule(Base):
    """One weekly pattern: `byday` (MO,TU,...) with `opens_at`-`closes_at` local times.

    A `closes_at` earlier than `opens_at` runs past midnight into the next day. A meeting is a
    schedule too (opens_at = start, closes_at = end). Times are in the location's time zone.
    """
    __tablename__ = "schedule"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    service_at_location_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_at_location.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    timezone: Mapped[str | None] = mapped_column(String(64))
    freq: Mapped[str | None] = mapped_column(String(10), default="WEEKLY")
    interval: Mapped[int | None] = mapped_column(Integer)
    byday: Mapped[str | None] = mapped_column(String(40))
    opens_at: Mapped[dt.time | None] = mapped_column(Time)
    closes_at: Mapped[dt.time | None] = mapped_column(Time)
    description: Mapped[str | None] = mapped_column(Text)
    attending_type: Mapped[str | None] = mapped_column(String(50))  # in person, online, hybrid
    notes: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service | None] = relationship(back_populates="schedules", foreign_keys=[service_id])


class TaxonomyTerm(Base):
    __tablename__ = "taxonomy_term"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    code: Mapped[str | None] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[str | None] = mapped_column(String(64))
    taxonomy: Mapped[str | None] = mapped_column(String(100))  # 'signpost-category', 'signpost-attribute', 'meeting-guide', 'airs', ...
    language: Mapped[str | None] = mapped_column(String(10))
    term_uri: Mapped[str | None] = mapped_column(String(500))


class Attribute(Base):
    """HSDS attribute: links a taxonomy term to any row (service, location, ...)."""
    __tablename__ = "attribute"
    __table_args__ = (Index("ix_attribute_link", "link_entity", "link_id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    link_id: Mapped[str] = mapped_column(String(64))
    link_entity: Mapped[str] = mapped_column(String(50), default="service")
    link_type: Mapped[str | None] = mapped_column(String(50))
    taxonomy_term_id: Mapped[str] = mapped_column(ForeignKey("taxonomy_term.id", ondelete="CASCADE"), index=True)
    value: Mapped[str | None] = mapped_column(String(300))

    taxonomy_term: Mapped[TaxonomyTerm] = relationship()


class Language(Base):
    __tablename__ = "language"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)


class Accessibility(Base):
    __tablename__ = "accessibility"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))


class Metadata(Base):
    """HSDS metadata: the audit trail of every change to a listing (who, when, field, old, new)."""
    __tablename__ = "metadata"
    __table_args__ = (Index("ix_metadata_resource", "resource_type", "resource_id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    resource_id: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(50))
    last_action_date: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_action_type: Mapped[str] = mapped_column(String(20))  # create, update, delete, verify
    field_name: Mapped[str] = mapped_column(String(100), default="")
    previous_value: Mapped[str] = mapped_column(Text, default="")
    replacement_value: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class SearchEntry(Base):
    """One searchable row per service at a physical location, kept in step by directory.catalog.index.

    Integer key so SQLite's R*Tree (search_rtree, created in the first migration and fed by
    triggers) can point at it; PostgreSQL uses the (latitude, longitude) index instead.
    """
    __tablename__ = "search_entry"
    __table_args__ = (Index("ix_search_entry_lat_lon", "latitude", "longitude"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_at_location_id: Mapped[str] = mapped_column(
        ForeignKey("service_at_location.id", ondelete="CASCADE"), unique=True)
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    category: Mapped[str | None] = mapped_column(String(30))
    attribute_bits: Mapped[int] = mapped_column(Integer, default=0)
    language_bits: Mapped[int] = mapped_column(Integer, default=0)
    beds_available: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    search_text: Mapped[str] = mapped_column(Text, default="")  # lower-cased names, for `q`
    card: Mapped[str | None] = mapped_column(Text)  # the result line's JSON (directory/catalog/cards.py)


class SearchLog(Base):
    """What people searched for and where, with no personal data: feeds the needs-and-gaps report."""
    __tablename__ = "search_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(10))  # web, api, bot
    category: Mapped[str | None] = mapped_column(String(30))
    postal_code: Mapped[str | None] = mapped_column(String(10))  # the place's ZIP, never an address
    place_label: Mapped[str | None] = mapped_column(String(100))
    latitude: Mapped[float | None] = mapped_column(Float)  # rounded to ~1 km
    longitude: Mapped[float | None] = mapped_column(Float)
    filters: Mapped[str | None] = mapped_column(String(300))
    result_count: Mapped[int] = mapped_column(Integer, default=0)

