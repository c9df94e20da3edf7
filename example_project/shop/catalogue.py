"""The shop's catalogue, kept in code: an example needs products, not a product database."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Product:
    slug: str
    name: str | Promise  # translated when shown; the order keeps the name it was bought as
    price: Decimal
    blurb: str | Promise


PRODUCTS: tuple[Product, ...] = (
    Product("kopi-susu", "Kopi susu gula aren", Decimal("25000.00"),
            _("Iced coffee with palm sugar, to go.")),
    Product("batik-tote", _("Batik tote bag"), Decimal("150000.00"),
            _("Hand-stamped cotton, made in Pekalongan.")),
    Product("earbuds", _("Wireless earbuds"), Decimal("499000.00"),
            _("Twelve hours of music between charges.")),
)


def get_product(slug: str) -> Product | None:
    return next((product for product in PRODUCTS if product.slug == slug), None)
