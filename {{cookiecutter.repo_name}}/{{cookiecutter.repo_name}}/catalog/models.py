"""The example catalog: categories, items and their tags.

Every column the example filters, joins or orders by has an index (foreign keys
included: SQLAlchemy does not index them for you), named by ``db/base.py``'s
convention so migrations stay stable.
"""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db.base import Base, utcnow

item_tags = Table(
    "item_tags",
    Base.metadata,
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # The primary key indexes (item_id, tag_id); this one serves tag -> items.
    Index("ix_item_tags_tag_id", "tag_id"),
)


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    # lazy="raise": every access must be planned with an explicit loader option,
    # so an N+1 query is an error in development and tests, not a slow page.
    items: Mapped[list["Item"]] = relationship(back_populates="category", lazy="raise")


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    price_cents: Mapped[int]
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    # Large and shown only on the detail page: not loaded unless asked for.
    description: Mapped[str] = mapped_column(Text, default="", deferred=True)
    created_at: Mapped[datetime] = mapped_column(
        default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now(), index=True
    )

    category: Mapped[Category] = relationship(back_populates="items", lazy="raise")
    tags: Mapped[list[Tag]] = relationship(secondary=item_tags, lazy="raise")
