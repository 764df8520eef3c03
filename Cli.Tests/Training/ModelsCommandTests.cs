using Dapper;
using Inspections.Hosting;
using Inspections.Tests.Infrastructure;

namespace Inspections.Tests.Training;

/// <summary>
/// The bundled sample trained at two dates (three folds each, to stay quick): two models in the registry.
/// </summary>
public sealed class TwoModelsDatabase : IAsyncLifetime
{
    public const string EarlyDate = "2014-08-04";
    public const string LateDate = "2014-09-01";

    public TestDatabase Db { get; } = new();

    public string Early { get; private set; } = "";

    public string Late { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Db.InitializeAsync();
        foreach (var date in new[] { EarlyDate, LateDate })
        {
            var train = await PipelineAsync("train", "--date", date);
            train.ExitCode.ShouldBe(ExitCodes.Success, train.ToString());
        }
        Early = await Db.ScalarAsync<string>($"select model_id from models.registry where trained_on = '{EarlyDate}'");
        Late = await Db.ScalarAsync<string>($"select model_id from models.registry where trained_on = '{LateDate}'");
    }

    public Task<CliResult> RunAsync(params string[] args) =>
        CliRunner.RunAsync([.. args], new()
        {
            ["ConnectionStrings:Postgres"] = Db.ConnectionString,
            ["Training:Folds"] = "3",
        });

    /// <summary>A pipeline verb on the sample.</summary>
    public Task<CliResult> PipelineAsync(params string[] args) => RunAsync([.. args, "--source", SampleData.Csv]);

    public Task DisposeAsync() => Db.DisposeAsync();
}

public sealed class ModelsCommandTests(TwoModelsDatabase models) : IClassFixture<TwoModelsDatabase>
{
    private sealed record Day(string ModelId, string ModelChoice, string ModelReason);

    private async Task<Day> PredictedDayAsync(string date)
    {
        await using var connection = await models.Db.DataSource.OpenConnectionAsync();
        var day = await connection.QuerySingleAsync<Day>(
            "select model_id as ModelId, model_choice as ModelChoice, model_reason as ModelReason " +
            "from predictions.days where prediction_date = @d::date",
            new { d = date });
        // Every score of the day came from the model the day names.
        (await connection.QuerySingleAsync<long>(
                "select count(*) from predictions.scores where prediction_date = @d::date and model_id <> @m",
                new { d = date, m = day.ModelId }))
            .ShouldBe(0);
        return day;
    }

    [Fact]
    public async Task List_shows_every_model_newest_first_and_show_prints_its_card_and_what_it_weighs()
    {
        var list = await models.RunAsync("models", "list");
        list.ExitCode.ShouldBe(ExitCodes.Success, list.ToString());
        list.Out.IndexOf(models.Late, StringComparison.Ordinal)
            .ShouldBeLessThan(list.Out.IndexOf(models.Early, StringComparison.Ordinal));
        list.Out.ShouldContain(TwoModelsDatabase.EarlyDate);

        var show = await models.RunAsync("models", "show", models.Early);
        show.ExitCode.ShouldBe(ExitCodes.Success, show.ToString());
        show.Out.ShouldContain($"Model:           {models.Early}");
        show.Out.ShouldContain($"Trained on:      {TwoModelsDatabase.EarlyDate}");
        show.Out.ShouldContain("Candidates, mean (and s.d.) over 3 temporal folds");
        show.Out.ShouldContain("weighs most");
    }

    [Theory]
    [InlineData("show")]
    [InlineData("promote")]
    public async Task An_unknown_model_is_one_line_and_a_usage_error(string verb)
    {
        var result = await models.RunAsync("models", verb, "no-such-model");

        result.ExitCode.ShouldBe(ExitCodes.UsageError, result.ToString());
        result.ErrorLines
            .ShouldBe(["error: no model 'no-such-model' in the registry (inspections models list shows them)"]);
        (await models.Db.ScalarAsync<long>("select count(*) from models.pins where model_id = 'no-such-model'"))
            .ShouldBe(0);
    }

    [Fact]
    public async Task Predict_uses_the_pinned_model_from_its_training_date_on_and_the_newest_one_otherwise()
    {
        // Pinned: the early model scores the late date, although a newer model exists.
        var promote = await models.RunAsync("models", "promote", models.Early);
        promote.ExitCode.ShouldBe(ExitCodes.Success, promote.ToString());
        promote.Out.ShouldContain($"Pinned {models.Early}");
        (await models.RunAsync("models", "promote", models.Early)).Out.ShouldContain("is already pinned");
        (await models.RunAsync("models", "list")).Out.ShouldContain($"* {models.Early}");

        (await models.PipelineAsync("predict", "--date", TwoModelsDatabase.LateDate)).ExitCode
            .ShouldBe(ExitCodes.Success);
        var pinned = await PredictedDayAsync(TwoModelsDatabase.LateDate);
        pinned.ModelId.ShouldBe(models.Early);
        pinned.ModelChoice.ShouldBe("pinned");
        pinned.ModelReason.ShouldStartWith($"pinned by {Environment.UserName} at ");

        // The pin does not reach before the pinned model's training date: that date gets the newest model of its own
        // time.
        (await models.RunAsync("models", "promote", models.Late)).ExitCode.ShouldBe(ExitCodes.Success);
        (await models.PipelineAsync("predict", "--date", "2014-08-18")).ExitCode.ShouldBe(ExitCodes.Success);
        var before = await PredictedDayAsync("2014-08-18");
        before.ModelId.ShouldBe(models.Early);
        before.ModelChoice.ShouldBe("newest");
        before.ModelReason.ShouldBe(
            $"the newest model selected on or before 2014-08-18; the pinned {models.Late} was trained later " +
            $"({TwoModelsDatabase.LateDate}) and cannot score an earlier date");

        // Unpinned: a date predicted again takes the newest model; what store-api serves says why.
        var unpin = await models.RunAsync("models", "unpin");
        unpin.Out.ShouldContain($"Unpinned {models.Late}");
        (await models.RunAsync("models", "unpin")).Out.ShouldContain("No model is pinned");
        (await models.PipelineAsync("predict", "--date", TwoModelsDatabase.LateDate, "--force")).ExitCode
            .ShouldBe(ExitCodes.Success);
        var newest = await PredictedDayAsync(TwoModelsDatabase.LateDate);
        newest.ShouldBe(new Day(models.Late, "newest",
            $"the newest model selected on or before {TwoModelsDatabase.LateDate}; none is pinned"));
        (await models.PipelineAsync("store-api", "--date", TwoModelsDatabase.LateDate)).ExitCode
            .ShouldBe(ExitCodes.Success);
        (await models.Db.ScalarAsync<string>(
                $"select model_reason from api.days where prediction_date = '{TwoModelsDatabase.LateDate}'"))
            .ShouldBe(newest.ModelReason);

        // The log keeps every change, with who made it.
        (await models.Db.ScalarAsync<long>("select count(*) from models.pins")).ShouldBe(3);
        (await models.Db.ScalarAsync<long>(
                $"select count(*) from models.pins where changed_by = '{Environment.UserName}'"))
            .ShouldBe(3);
    }
}
