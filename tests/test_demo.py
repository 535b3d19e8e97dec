"""``make demo`` runs the README's model through the model layer and says what it did."""

from exmc import demo


def test_demo_prints_parameters_rewrites_and_log_density(capsys):
    demo.main()
    out = capsys.readouterr().out
    assert "[1:2] sigma  transform=log" in out
    assert "rewrites: none" in out
    assert "noncenter: theta ~ Normal(mu, tau) -> theta_raw ~ Normal(0, 1)" in out
    assert out.count("log-density there: -") == 2
