using GradientGuard.Analyzers.Infrastructure;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// The file answers of every instance share one table entry per file, a slot each: asked in turn about the same files,
/// each instance keeps its own words' answer, and a file's answer is its own.
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
}
