import pytest

from directory.catalog.geocode import Geocoder, PlaceNotFound


def test_zip_code_is_offline_and_knows_its_time_zone():
    place = Geocoder().resolve("92701")
    assert (round(place.lat, 2), round(place.lon, 2)) == (33.75, -117.86)
    assert place.timezone == "America/Los_Angeles"
    assert place.precision == "zip"


@pytest.mark.parametrize("text,label", [
    ("Santa Ana, CA", "Santa Ana, CA"), ("santa ana ca", "Santa Ana, CA"),
    ("Kansas City, Missouri", "Kansas City, MO"), ("Miami FL", "Miami, FL"), ("64111-1234", "Kansas City, MO 64111"),
])
def test_city_state_forms(text, label):
    assert Geocoder().resolve(text).label == label


def test_misspelt_city_says_what_to_do():
    with pytest.raises(PlaceNotFound) as err:
        Geocoder().resolve("Springfeild, MO")
    assert str(err.value) == "I couldn't find 'Springfeild, MO'. Try a ZIP code."


@pytest.mark.parametrize("text", ["", "   ", "00000", "x" * 300])
def test_empty_unknown_or_huge_input_is_a_clear_error(text):
    with pytest.raises(PlaceNotFound):
        Geocoder().resolve(text)


class TableGeocoder:
    """A table-driven stand-in for Nominatim (ohana-api style): only the network is faked."""

    def __init__(self, table, fail=False):
        self.table, self.fail, self.calls = table, fail, []

    def __call__(self, text):
        self.calls.append(text)
        if self.fail:
            raise TimeoutError("geocoder down")
        return self.table.get(text)


def test_street_address_goes_to_the_online_geocoder_when_configured():
    online = TableGeocoder({"401 W 1st St, Santa Ana, CA": (33.7451, -117.8700, "401 W 1st St, Santa Ana")})
    place = Geocoder(online=online).resolve("401 W 1st St, Santa Ana, CA")
    assert (place.lat, place.lon, place.precision) == (33.7451, -117.87, "address")
    assert place.timezone == "America/Los_Angeles"
    assert online.calls == ["401 W 1st St, Santa Ana, CA"]


def test_zip_never_reaches_the_online_geocoder():
    online = TableGeocoder({})
    Geocoder(online=online).resolve("33125")
    assert online.calls == []


def test_online_failure_falls_back_to_the_zip_in_the_address():
    online = TableGeocoder({}, fail=True)
    place = Geocoder(online=online).resolve("1000 NW 7th St, Miami, FL 33125")
    assert place.postal_code == "33125" and place.precision == "zip"


def test_address_without_zip_and_without_geocoder_is_not_found():
    with pytest.raises(PlaceNotFound):
        Geocoder().resolve("401 W 1st St, Santa Ana")


def test_nominatim_is_built_from_configuration():
    g = Geocoder.from_env({"GEOCODER": "nominatim", "GEOCODER_DOMAIN": "geo.example.org",
                           "GEOCODER_USER_AGENT": "signpost-test", "GEOCODER_TIMEOUT": "2"})
    assert g.online is not None
    assert Geocoder.from_env({}).online is None
