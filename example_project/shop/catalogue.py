"""The shop's catalogue, kept in code: an example needs products, not a product database."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Product:
    slug: str
    name: str
    price: Decimal
    blurb: str


PRODUCTS: tuple[Product, ...] = (
    Product("kopi-susu", "Kopi susu gula aren", Decimal("25000.00"),
            "Iced coffee with palm sugar, to go."),
    Product("batik-tote", "Batik tote bag", Decimal("150000.00"),
            "Hand-stamped cotton, made in Pekalongan."),
    Product("earbuds", "Wireless earbuds", Decimal("499000.00"),
            "Twelve hours of music between charges."),
)


def get_product(slug: str) -> Product | None:
    return next((product for product in PRODUCTS if product.slug == slug), None)
