using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// The text tests behind the rules' syntax gates may let too much through, never too little: every call form a name
/// cannot tell must count as one, and a name must be found wherever a call of it stands.
/// </summary>
public sealed class TreeTextTests
{
    private static TextSpan All(string text) => new(0, text.Length);

    [Theory]
    [InlineData("Train(x);", "Train", true)]
    [InlineData("this.Train(x);", "Train", true)]
    [InlineData("Train<int>(x);", "Train", true)]
    [InlineData("Train (x);", "Train", true)]
    [InlineData("TrainAll(x);", "Train", false)]
    [InlineData("PreTrain(x);", "Train", false)]
    [InlineData("_Train(x);", "Train", false)]
    [InlineData("x.Train2();", "Train", false)]
    public void A_name_counts_only_as_a_whole_identifier(string text, string name, bool expected) =>
        Assert.Equal(expected, TreeText.ContainsName(text, All(text), name));

    [Fact]
    public void A_name_outside_the_span_does_not_count()
    {
        string text = "Train(); Other();";
        Assert.False(TreeText.ContainsName(text, new TextSpan(9, 8), "Train"));
        Assert.True(TreeText.ContainsName(text, new TextSpan(0, 7), "Train"));
    }

    [Theory]
    [InlineData("model?.Train();")]
    [InlineData("global::Train();")]
    [InlineData("(Train)();")]
    [InlineData("this.@Train();")]
    [InlineData("Train<int>();")]
    [InlineData("x = y?.z.Train(a)!;")]
    public void Every_call_form_writes_the_called_name_as_a_whole_identifier(string text) =>
        Assert.True(TreeText.ContainsName(text, All(text), "Train"));

    [Theory]
    [InlineData("public Net() : base(\"net\") { }", true)]
    [InlineData("public Net(int n) : this () { }", true)]
    [InlineData("public Net() { Setup(); }", false)]
    public void A_constructor_call_is_seen_by_its_keyword(string text, bool expected) =>
        Assert.Equal(expected, TreeText.MayCallConstructor(text, All(text)));
}
