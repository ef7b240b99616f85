using System.Linq;
using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// The file answers of every instance share one table entry per file, a slot each: asked in turn about the same files,
/// each instance keeps its own words' answer, and a file's answer is its own. A body's answer is its code's.
/// </summary>
public sealed class SourceMentionsTests
{
    [Fact]
    public void Instances_asked_in_turn_about_the_same_files_keep_their_own_answers()
    {
        var training = SourceMentions.AllOf("backward", "step");
        var clipping = SourceMentions.AnyOf("clip_grad_norm_", "clip_grad_value_");
        var trainingFile = CSharpSyntaxTree.ParseText("class T { void F(dynamic l, dynamic o) { l.backward(); o.step(); } }");
        var clippingFile = CSharpSyntaxTree.ParseText("class C { void F(dynamic u) { u.clip_grad_norm_(1); } }");
        var halfFile = CSharpSyntaxTree.ParseText("class H { void F(dynamic l) { l.backward(); } }");
        for (int round = 0; round < 2; round++) // the second round reads the kept answers
        {
            Assert.True(training.In(trainingFile));
            Assert.False(clipping.In(trainingFile));
            Assert.False(training.In(clippingFile));
            Assert.True(clipping.In(clippingFile));
            Assert.False(training.In(halfFile));
            Assert.False(clipping.In(halfFile));
        }
    }

    // A file's answer is its code's too: a file that writes "backward" and "step" only in comments and strings holds no
    // training step, and the rules that need one do not read it.
    [Fact]
    public void A_file_mentions_a_word_in_its_code_only()
    {
        var training = SourceMentions.AllOf("backward", "step");
        var commented = CSharpSyntaxTree.ParseText("// backward, then step\nclass T { void F(dynamic log) { log.Write(\"step\"); } }");
        var written = CSharpSyntaxTree.ParseText("class T { void F(dynamic l, dynamic o) { l.Write(\"x\"); l.backward(); o.step(); } }");
        Assert.False(training.In(commented));
        Assert.True(training.In(written));
    }

    // A body is bound for a rule when its code names the rule's words: a log message, a comment or disabled text does not
    // make it a model or a training step. Inside an identifier (igmoid in Sigmoid), in an interpolation's expression, the
    // word counts.
    [Theory]
    [InlineData("void F(dynamic m) { m.Sigmoid(); }", true)]
    [InlineData("void F(dynamic m) { var s = $\"{m.Sigmoid()}\"; }", true)]
    [InlineData("void F(dynamic m) { m.Run(\"sigmoid\"); }", false)]
    [InlineData("void F(dynamic m) { m.Run(); } // a sigmoid", false)]
    [InlineData("/// <summary>Sigmoid</summary>\n void F(dynamic m) { m.Run(); }", false)]
    [InlineData("void F(dynamic m) {\n#if NEVER\n m.Sigmoid();\n#endif\n }", false)]
    public void A_body_mentions_a_word_in_its_code_only(string method, bool expected)
    {
        var saturating = SourceMentions.AnyOf("igmoid");
        var whole = SourceMentions.AnyName("Sigmoid", "sigmoid");
        var body = CSharpSyntaxTree.ParseText("class C { " + method + " }").GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single();
        Assert.Equal(expected, saturating.In(body));
        Assert.Equal(expected, whole.In(body));
    }
}
