"""``make demo`` runs the README's model and eight schools through compiler and sampler."""

import pytest

from exmc import demo


# the demo prints its divergence counts; the SamplingWarning a short run's few divergences
# raise (shown to a `make demo` user on stderr) is tested in tests/diagnostics
@pytest.mark.filterwarnings("ignore::exmc.SamplingWarning")
def test_demo_prints_parameters_rewrites_log_density_and_posterior(capsys):
    demo.main(draws=200)
    out = capsys.readouterr().out
    assert "[1:2] sigma  transform=log" in out
    assert "rewrites: none" in out
    assert "noncenter: theta ~ Normal(mu, tau) -> theta_raw ~ Normal(0, 1)" in out
    assert out.count("log-density there: -") == 2
    assert out.count("divergences: ") == 2 and "of 800 draws" in out
    eight_schools_table = out.rsplit("ESS\n", 1)[1]
    assert "theta[7]" in eight_schools_table and "theta_raw" not in eight_schools_table  # auxiliary hidden
