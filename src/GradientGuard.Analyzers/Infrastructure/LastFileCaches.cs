using System;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The text tests remember the file last asked about on each thread (<see cref="TreeText"/>, <see cref="SourceMentions"/>):
/// a callback asks about one file many times, and a table lookup per question cost more than the tests. Every callback
/// that may ask forgets that file when it ends, so that an idle thread of a long-lived host (an IDE's, a build server's)
/// keeps no file's tree and text alive after the callback that read it. The rules ask the text tests only in file actions
/// registered here (the raw registration is banned, BannedSymbols.txt) and at a compilation's start
/// (<see cref="GradientGuardAnalyzer"/>); another kind of callback that asks them must call <see cref="Forget"/> too.
/// </summary>
internal static class LastFileCaches
{
    /// <summary>Registers a rule's reading of each file: <paramref name="action"/>, then the thread forgets the file.</summary>
    public static void RegisterFileAction(CompilationStartAnalysisContext context, Action<SemanticModelAnalysisContext> action) =>
#pragma warning disable RS0030 // the one place that registers a file action: every other goes through here (BannedSymbols.txt)
        context.RegisterSemanticModelAction(file =>
        {
            try
            {
                action(file);
            }
            finally
            {
                Forget();
            }
        });
#pragma warning restore RS0030

    /// <summary>Forgets the file this thread asked about last.</summary>
    public static void Forget()
    {
        TreeText.ForgetLastFile();
        SourceMentions.ForgetLastFile();
    }
}
