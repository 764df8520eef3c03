using Inspections.Hosting;
using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Hosting;

public sealed class ApiKeysTests
{
    private static readonly string Key = ApiKeys.NewKey();

    private static ApiKeys Configured(params (string Name, string Hash)[] keys) =>
        ApiKeys.From(keys.ToDictionary(k => k.Name, k => k.Hash), "Api:Keys");

    [Fact]
    public void A_key_is_hashed_with_sha256_to_lower_case_hex()
    {
        ApiKeys.Hash("abc").ShouldBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    [Fact]
    public void New_keys_carry_the_prefix_and_32_random_bytes_and_never_repeat()
    {
        var keys = Enumerable.Range(0, 100).Select(_ => ApiKeys.NewKey()).ToList();

        keys.ShouldAllBe(k => k.StartsWith(ApiKeys.Prefix) && k.Length == ApiKeys.Prefix.Length + 43);
        keys.Distinct().Count().ShouldBe(100);
    }

    [Fact]
    public void Only_the_configured_key_matches_and_it_names_its_holder()
    {
        var keys = Configured(("alice", ApiKeys.Hash(Key)), ("bob", ApiKeys.Hash(ApiKeys.NewKey())));

        keys.Match(Key).ShouldBe("alice");
        keys.Match(Key.AsSpan(0, Key.Length - 1)).ShouldBeNull();
        keys.Match(Key + "x").ShouldBeNull();
        keys.Match("").ShouldBeNull();
        keys.Match(new string('a', 10_000)).ShouldBeNull();
        keys.Match(ApiKeys.Hash(Key)).ShouldBeNull(); // the configured hash is not a key
    }

    [Fact]
    public void A_hash_in_upper_case_is_the_same_hash_and_an_empty_one_removes_the_key()
    {
        var keys = Configured(("alice", ApiKeys.Hash(Key).ToUpperInvariant()), ("revoked", ""));

        keys.Match(Key).ShouldBe("alice");
        keys.Names.ShouldBe(["alice"]);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    public void A_configured_value_that_is_not_a_sha256_is_a_usage_error_naming_the_setting(string hash)
    {
        var e = Should.Throw<UserException>(() => Configured(("alice", hash)));

        e.ExitCode.ShouldBe(ExitCodes.UsageError);
        e.Message.ShouldContain("Api:Keys:alice");
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000")]
    [InlineData("http://127.10.0.1:5000")]
    [InlineData("http://[::1]:5000")]
    [InlineData("http://localhost:5000")]
    [InlineData("http://LOCALHOST:0")]
    [InlineData("http://unix:/run/inspections/api.sock")]
    [InlineData("http://127.0.0.1:5000;http://[::1]:5000")]
    public void Loopback_needs_no_key(string urls)
    {
        Should.NotThrow(() => ListenUrls.Check(urls, Configured(), "Api:Keys"));
    }

    [Theory]
    [InlineData("http://0.0.0.0:5000")]
    [InlineData("http://[::]:5000")]
    [InlineData("http://192.168.1.10:5000")]
    [InlineData("http://*:5000")]
    [InlineData("http://+:5000")]
    [InlineData("http://inspections.example:5000")]
    [InlineData("http://127.0.0.1:5000;http://0.0.0.0:5001")]
    public void Anything_off_loopback_needs_a_key_and_is_allowed_with_one(string urls)
    {
        var e = Should.Throw<UserException>(() => ListenUrls.Check(urls, Configured(), "Api:Keys"));
        e.ExitCode.ShouldBe(ExitCodes.UsageError);
        e.Message.ShouldContain("without API keys");
        e.Message.ShouldContain("inspections api-key new NAME");

        Should.NotThrow(() => ListenUrls.Check(urls, Configured(("alice", ApiKeys.Hash(Key))), "Api:Keys"));
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("127.0.0.1:5000")]
    [InlineData("ftp://127.0.0.1:5000")]
    [InlineData("http://127.0.0.1:99999")]
    [InlineData(";")]
    public void A_url_that_does_not_parse_is_a_usage_error(string urls)
    {
        Should.Throw<UserException>(() => ListenUrls.Check(urls, Configured(), "Api:Keys"))
            .ExitCode.ShouldBe(ExitCodes.UsageError);
    }
}

public sealed class ApiKeyCommandTests
{
    [Fact]
    public async Task Api_key_new_prints_a_fresh_key_once_and_the_configuration_lines_with_its_hash()
    {
        var result = await CliRunner.RunAsync(["api-key", "new", "alice"]);

        result.ExitCode.ShouldBe(ExitCodes.Success, result.ToString());
        var key = result.Out.Split('\n').Select(l => l.Trim())
            .Where(l => l.StartsWith(ApiKeys.Prefix, StringComparison.Ordinal))
            .ShouldHaveSingleItem();
        var hash = ApiKeys.Hash(key);
        result.Out.ShouldContain($"Api__Keys__alice={hash}");
        result.Out.ShouldContain($"Dashboard__Keys__alice={hash}");
        result.Out.ShouldContain($"\"Api\": {{ \"Keys\": {{ \"alice\": \"{hash}\" }} }}");

        var again = await CliRunner.RunAsync(["api-key", "new", "alice"]);
        again.Out.ShouldNotContain(key);
    }

    [Theory]
    [InlineData("1alice")]
    [InlineData("al ice")]
    [InlineData("al-ice")]
    public async Task A_key_name_that_cannot_be_an_environment_variable_is_a_usage_error(string name)
    {
        var result = await CliRunner.RunAsync(["api-key", "new", name]);

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        result.ErrorLines.ShouldHaveSingleItem().ShouldContain("is not a key name");
    }

    [Fact]
    public async Task Api_key_list_names_the_keys_each_server_accepts()
    {
        var result = await CliRunner.RunAsync(["api-key", "list"],
            new() { ["Api:Keys:alice"] = ApiKeys.Hash("a"), ["Api:Keys:prometheus"] = ApiKeys.Hash("p") });

        result.ExitCode.ShouldBe(ExitCodes.Success, result.ToString());
        result.Out.ShouldContain("Api:Keys: alice, prometheus");
        result.Out.ShouldContain("Dashboard:Keys: none");
    }
}
