"""The provider sandboxes this app serves (each registers itself with the kit on import)."""

from .economic.provider import ECONOMIC
from .exact.provider import EXACT
from .quickbooks.provider import QUICKBOOKS
from .xero.provider import XERO

BUILT_IN = [XERO, QUICKBOOKS, EXACT, ECONOMIC]
