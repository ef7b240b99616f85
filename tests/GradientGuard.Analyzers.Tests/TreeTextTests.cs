using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// The text tests behind the rules' syntax gates may let too much through, never too little: a name must be found
/// wherever a call of it stands, whatever the call's form, and only words of the code count.
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

    // A file's answer per word is kept, and a word holding one the file lacks is known to be absent without a search:
    // the answers must be those of a search, whichever word is asked first.
    [Theory]
    [InlineData("var l = nn.functional.binary_cross_entropy(p, y);", true, true)]
    [InlineData("var l = nn.functional.cross_entropy(p, y);", true, false)]
    [InlineData("var l = entropy(p, y);", false, false)]
    public void A_file_holds_a_word_as_a_search_finds_it(string code, bool crossEntropy, bool binary)
    {
        foreach (bool shorterFirst in new[] { true, false })
        {
            var tree = CSharpSyntaxTree.ParseText(code);
            if (shorterFirst)
                Assert.Equal(crossEntropy, TreeText.FileHolds(tree, "cross_entropy"));
            Assert.Equal(binary, TreeText.FileHolds(tree, "binary_cross_entropy"));
            Assert.Equal(crossEntropy, TreeText.FileHolds(tree, "cross_entropy"));
            Assert.Equal(binary, TreeText.FileHolds(tree, "binary_cross_entropy"));
        }
    }

    // Words of this test only, so no other test numbers them before: the longer numbered first, then the shorter, and
    // the other way round. Each longer word is known to hold its shorter one whichever came first (the shortcut); a
    // file that lacks the longer may still hold the shorter, and a file that lacks the shorter lacks both.
    [Fact]
    public void A_word_a_file_lacks_rules_out_only_the_words_that_hold_it()
    {
        TreeText.WordNumber("gradient_guard_ring");
        TreeText.WordNumber("guard_ring");
        TreeText.WordNumber("guard_bell");
        TreeText.WordNumber("gradient_guard_bell");
        Assert.Equal(new[] { "guard_ring" }, TreeText.WordsHeldBy("gradient_guard_ring"));
        Assert.Equal(new[] { "guard_bell" }, TreeText.WordsHeldBy("gradient_guard_bell"));
        Assert.Empty(TreeText.WordsHeldBy("guard_ring"));
        var holdsShorter = CSharpSyntaxTree.ParseText("var guard_ring = 1;");
        Assert.False(TreeText.FileHolds(holdsShorter, "gradient_guard_ring"));
        Assert.True(TreeText.FileHolds(holdsShorter, "guard_ring"));
        var holdsNeither = CSharpSyntaxTree.ParseText("var ring = 1;");
        Assert.False(TreeText.FileHolds(holdsNeither, "guard_ring"));
        Assert.False(TreeText.FileHolds(holdsNeither, "gradient_guard_ring"));
        var holdsBoth = CSharpSyntaxTree.ParseText("var gradient_guard_ring = 1;");
        Assert.True(TreeText.FileHolds(holdsBoth, "guard_ring"));
        Assert.True(TreeText.FileHolds(holdsBoth, "gradient_guard_ring"));
    }

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
    [InlineData("class C { public C() : base() { } }", true)]
    [InlineData("class C { public C(int n) : this () { } }", true)]
    [InlineData("class C { public C() { Setup(); } }", false)]
    [InlineData("class C { public C() { /* : base() */ } }", false)]
    public void A_constructor_call_is_seen_by_its_keyword(string text, bool expected) =>
        Assert.Equal(expected, TreeText.MayCallConstructor(Parse(text), All(text)));

    [Theory]
    [InlineData("class C { void M(O o) { o.step(); } }", true)]
    [InlineData("class C { void M(O o) { o.@step(); } }", true)]
    [InlineData("class C { void M(O o) { var s = $\"{o.step()}\"; } }", true)]
    [InlineData("class C { void M(O o) { var h = 1 / 2; var c = '#'; o.step(); } }", true)] // a division and a character before it: looked up
    [InlineData("class C { void M(O o) { o.Run(); } } // one step", false)]
    [InlineData("class C { /// <summary>step</summary>\n void M(O o) { o.Run(); } }", false)]
    [InlineData("class C { void M(O o) { Log(\"step\"); Log($\"a step {o}\"); } }", false)]
    [InlineData("class C { void M(O o) {\n#if NEVER\n o.step();\n#endif\n } }", false)]
    // The one case taken for code that is not: a merge conflict's second half is disabled text that opens with no
    // comment, string or directive character (a gate may let too much through; the file does not compile).
    [InlineData("class C { void M(O o) {\n<<<<<<< HEAD\n o.Run();\n=======\n o.step();\n>>>>>>> other\n } }", true)]
    public void Only_a_word_of_the_code_names_a_call_not_one_in_a_comment_a_string_or_disabled_text(string text, bool expected)
    {
        Assert.Equal(expected, TreeText.ContainsCodeName(Parse(text), All(text), "step"));
        // Asked of the method, the hits are looked up from it, not from the file's root: the same answers.
        var method = Parse(text).GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().Single();
        Assert.Equal(expected, TreeText.ContainsCodeName(method, "step"));
    }

    [Fact]
    public void The_tokens_of_a_name_are_those_of_the_code_in_text_order()
    {
        // The keyword of each loop, so a gate can look at the loop it starts; not the word in a comment or a string.
        string text = "class C { void M(P p) { // foreach\n foreach (var a in p.parameters()) { } Log(\"foreach\"); foreach (var b in p.items) { } } }";
        var method = Parse(text).GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().Single();
        var loops = TreeText.CodeNames(method, method.FullSpan, "foreach").Select(t => t.Parent).ToList();
        Assert.Equal(2, loops.Count);
        Assert.All(loops, loop => Assert.IsType<Microsoft.CodeAnalysis.CSharp.Syntax.ForEachStatementSyntax>(loop));
        Assert.True(loops[0]!.SpanStart < loops[1]!.SpanStart);
    }

    private static SyntaxTree Parse(string text) => CSharpSyntaxTree.ParseText(text);
}
