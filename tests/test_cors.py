from tests.support import make_app

ORIGIN = "http://app.example.com"


def test_allow_origin_is_star_with_default_setting():
    response = make_app().get("/v1/", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_expose_headers_even_without_origin():
    exposed = make_app().get("/v1/").headers["Access-Control-Expose-Headers"]
    assert {h.strip() for h in exposed.split(",")} == {
        "Backoff", "Retry-After", "Alert", "Content-Length", "Vary"}


def test_matching_wildcard_pattern_echoes_origin():
    app = make_app({"cors_origins": "*.example.com http://other.org"})
    response = app.get("/v1/", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_unknown_origin_is_400_107():
    app = make_app({"cors_origins": "http://other.org"})
    response = app.get("/v1/", headers={"Origin": ORIGIN}, status=400)
    assert response.json["errno"] == 107
    assert response.json["message"] == f"Origin in header: {ORIGIN} not allowed"
    assert response.json["details"] == [
        {"location": "header", "name": "Origin", "description": f"{ORIGIN} not allowed"}]
    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_lists_methods_headers_and_max_age():
    app = make_app({"cors_max_age_seconds": "1200"})
    response = app.options("/v1/__heartbeat__", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization, X-Custom"})
    assert response.json is None
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert set(response.headers["Access-Control-Allow-Methods"].split(",")) == {
        "GET", "HEAD", "OPTIONS"}
    allowed = {h.strip() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"Authorization", "X-Custom", "Backoff"} <= allowed
    assert response.headers["Access-Control-Max-Age"] == "1200"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_preflight_without_max_age():
    app = make_app({"cors_max_age_seconds": "0"})
    response = app.options("/v1/", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Max-Age" not in response.headers


def test_preflight_errors():
    app = make_app()
    response = app.options("/v1/", status=400)
    messages = {d["description"] for d in response.json["details"]}
    assert messages == {"this header is mandatory"}
    response = app.options("/v1/", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"}, status=400)
    assert response.json["message"] == \
        "Access-Control-Request-Method in header: Method not allowed"


def test_unknown_url_echoes_origin_only_for_star_or_exact_origin():
    response = make_app().get("/v1/nowhere", headers={"Origin": ORIGIN}, status=404)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    app = make_app({"cors_origins": "*.example.com"})
    response = app.get("/v1/nowhere", headers={"Origin": ORIGIN}, status=404)
    assert "Access-Control-Allow-Origin" not in response.headers
    app = make_app({"cors_origins": ORIGIN})
    response = app.get("/v1/nowhere", headers={"Origin": ORIGIN}, status=404)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_a_service_answers_cors_lookups_as_cornice_even_after_new_definitions():
    import cornice

    from cliquet._cors import CorsService

    service = CorsService("s", "/s")
    service.add_view("GET", lambda request: {}, cors_headers=("X-Get",), cors_credentials=True)

    def answers(lookup_headers, lookup_credentials):
        return [(lookup_headers(service, method), lookup_credentials(service, method))
                for method in ("GET", "PUT", None)]

    def ours():
        return answers(CorsService.cors_supported_headers_for,
                       CorsService.cors_support_credentials_for)

    def cornices():
        return answers(cornice.Service.cors_supported_headers_for,
                       cornice.Service.cors_support_credentials_for)

    assert ours() == cornices()
    assert "X-Get" in ours()[0][0] and ours()[0][1] is True
    service.cors_supported_headers_for("GET").add("mutated")  # a new set each time
    service.add_view("PUT", lambda request: {}, cors_headers=("X-Put",))
    assert ours() == cornices()
    assert "X-Put" in ours()[1][0] and ours()[1][1] is False
