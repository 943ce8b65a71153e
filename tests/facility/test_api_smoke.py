"""The facility answers over real HTTP: public status, a token, an authenticated call."""


def test_status_is_public_and_both_spellings_answer(anonymous):
    for path in ("status", "status/"):
        response = anonymous.get(path)
        assert response.status_code == 200
        names = [r["name"] for r in response.json()]
        assert {"perlmutter", "dtns", "dtn01", "spin", "globus"} <= set(names)


def test_account_needs_a_token_and_answers_with_one(anonymous, api):
    refused = anonymous.get("account/")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    me = api.get("account/").json()
    assert me["name"] == "elvis" and isinstance(me["uid"], int)
