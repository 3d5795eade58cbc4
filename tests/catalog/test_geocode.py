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


def test_misspelt_city_with_its_state_is_corrected():
    assert Geocoder().resolve("Springfeild, MO").label == "Springfield, MO"
    assert Geocoder().resolve("Maimi, FL").label == "Miami, FL"  # a swap: one edit
    assert Geocoder().resolve("santa anna ca").label == "Santa Ana, CA"


def test_unknown_place_says_what_to_do():
    with pytest.raises(PlaceNotFound) as err:
        Geocoder().resolve("Xqzville, MO")
    assert str(err.value) == "I couldn't find 'Xqzville, MO'. Try a ZIP code."
    assert err.value.suggestions == []


AREA = ("CA", "MO", "KS", "FL")


@pytest.mark.parametrize("text,label", [
    ("santa ana", "Santa Ana, CA"), ("miami", "Miami, FL"), ("Irvine", "Irvine, CA"),
    ("overland park", "Overland Park, KS"), ("kansas city", "Kansas City, MO"),  # the bigger namesake
    ("kansas city ks", "Kansas City, KS"), ("orange county", "Orange County, CA"), ("hb", "Huntington Beach, CA"),
    ("Corona del Mar", "Corona Del Mar, CA"),  # a neighbourhood the post office knows
    ("Maimi", "Miami, FL"), ("Santa Anna", "Santa Ana, CA"), ("overland prk", "Overland Park, KS"),
    ("hungtington beach", "Huntington Beach, CA"), ("irvin", "Irvine, CA"),  # not Irwin, MO: far smaller
])
def test_bare_names_resolve_inside_the_service_area(text, label):
    assert Geocoder(area=AREA).resolve(text).label == label


def test_bare_names_need_a_service_area():
    with pytest.raises(PlaceNotFound):
        Geocoder(area=()).resolve("santa ana")
    assert Geocoder(area=("TX",)).resolve("miami", area=("FL",)).label == "Miami, FL"  # the caller's area wins


def test_service_area_from_the_environment():
    assert Geocoder.from_env({"SERVICE_AREA": "ca, Missouri;KS"}).area_states() == ("CA", "MO", "KS")
    assert callable(Geocoder.from_env({}).area)  # default: the directory's own states


def test_still_unknown_names_come_with_the_nearest_spellings():
    with pytest.raises(PlaceNotFound) as err:
        Geocoder(area=AREA).resolve("Hunntingdon Baech")
    assert err.value.suggestions and "Did you mean" in str(err.value)
    with pytest.raises(PlaceNotFound) as err:
        Geocoder(area=AREA).resolve("Hunntingdon Baech, CA")
    assert err.value.suggestions
    with pytest.raises(PlaceNotFound) as err:
        Geocoder(area=AREA).resolve("help with my kids")
    assert err.value.suggestions == []


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


# The zipcodes package gives 837 ZIPs (military APO/FPO, PO boxes, and a few standard ones such as
# Jonesboro's 72405) the coordinates 0,0: "no coordinates", not a point in the Gulf of Guinea.
JONESBORO_AR = (35.84, -90.70)


def _km(a, b):
    from directory.catalog.geo import distance_km
    return distance_km(a[0], a[1], b[0], b[1])


def test_a_zip_without_coordinates_is_placed_at_its_city():
    place = Geocoder().resolve("72405")
    assert _km((place.lat, place.lon), JONESBORO_AR) < 20
    assert place.label == "Jonesboro, AR 72405" and place.postal_code == "72405"
    assert place.precision == "city"  # said as it is: the city's centre, not the ZIP's


def test_cities_and_counties_are_not_pulled_towards_0_0():
    place = Geocoder().resolve("Jonesboro, AR")
    assert _km((place.lat, place.lon), JONESBORO_AR) < 20
    from directory.catalog.geocode import ZIPS
    index = ZIPS.load()
    for places in (index.by_zip, index.by_city, index.by_county):
        assert not [p for p in places.values() if abs(p.lat) < 1 and abs(p.lon) < 1]


def test_a_zip_with_neither_coordinates_nor_a_known_city_is_not_found():
    with pytest.raises(PlaceNotFound):
        Geocoder().resolve("09001")  # APO AE: a military post office abroad, no coordinates


# --- the ZIP index's cache file -------------------------------------------------------------------
def _index_in(folder, monkeypatch):
    """A new process's ZIP index (a fresh _ZipIndex), cached under `folder`."""
    from directory.catalog import geocode
    monkeypatch.setenv("SIGNPOST_CACHE_DIR", str(folder))
    return geocode._ZipIndex().load()


def _tables(index):
    return index.by_zip, index.by_city, index.by_county, index.zip_count


def test_the_zip_index_is_read_from_its_cache_file_the_same_as_built(tmp_path, monkeypatch):
    import zipcodes
    from directory.catalog.geocode import zip_index_cache_file
    built = _index_in(tmp_path, monkeypatch)
    assert zip_index_cache_file().parent == tmp_path and zip_index_cache_file().is_file()

    def no_package_read():
        raise AssertionError("the index was built again instead of read from its cache file")
    monkeypatch.setattr(zipcodes, "list_all", no_package_read)
    cached = _index_in(tmp_path, monkeypatch)
    assert _tables(cached) == _tables(built)
    assert cached.by_zip["92701"].timezone == "America/Los_Angeles"
    assert [p.name for p in tmp_path.iterdir()] == [zip_index_cache_file().name]  # no temporary file left


def test_a_damaged_or_old_zip_index_cache_is_built_again(tmp_path, monkeypatch, caplog):
    from directory.catalog.geocode import zip_index_cache_file
    built = _index_in(tmp_path, monkeypatch)
    path = zip_index_cache_file()
    path.write_bytes(b"\x00not marshal")
    stale = tmp_path / "zip-index-1-1-0000000000000000.marshal"  # an earlier package's
    stale.write_bytes(b"x")
    with caplog.at_level("WARNING"):
        again = _index_in(tmp_path, monkeypatch)
    assert _tables(again) == _tables(built)
    assert "unreadable" in caplog.text and str(path) in caplog.text
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # rewritten whole; the old one removed


def test_the_zip_index_loads_where_no_cache_can_be_written(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    index = _index_in(blocked / "cache", monkeypatch)
    assert index.by_zip["64111"].label == "Kansas City, MO 64111"
    assert index.by_city[("santa ana", "CA")].precision == "city"


def test_signpost_cache_dir_off_builds_the_zip_index_without_a_file(tmp_path, monkeypatch):
    from directory.catalog import geocode
    monkeypatch.setenv("HOME", str(tmp_path))  # where the default folder would be
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("SIGNPOST_CACHE_DIR", "off")
    assert geocode.zip_index_cache_file() is None
    assert geocode._ZipIndex().load().by_zip["92701"].label == "Santa Ana, CA 92701"
    assert not list(tmp_path.rglob("zip-index-*"))
