using System.Runtime.CompilerServices;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// How the runtime compiles the rules' hottest methods. The compiler's own code is precompiled (ReadyToRun); the rules'
/// is compiled at first call, unoptimized, and recompiled optimized only once the runtime has found it hot, through an
/// instrumented stage (dynamic PGO). In the compiler's process that takes many passes: over three passes of the
/// generated code base none of the rules' methods was recompiled optimized (464 of 515 unmarked ones never left the
/// first, unoptimized tier), and over seven passes of the real-code folder 97 % of the rules' samples were in
/// unoptimized code (benchmarks/README.md, session 20). A build in a new compiler process runs them unoptimized
/// throughout.
/// <para>
/// The methods marked <see cref="OptimizedAtFirstCall"/> hold most of the rules' own time on every file, whether or not
/// it holds a finding: the shared operation walk, the text and syntax tests of the gates, and the operation reading of
/// the rules' common paths. Measured against the same code unmarked: 17–36 % less CPU in the first four passes over
/// real code, the same once the unmarked code had tiered up (about the fifth pass there). A rule's reporting paths,
/// which run only on a finding, are left to the tiering.
/// </para>
/// </summary>
internal static class Jit
{
    /// <summary>
    /// <c>MethodImplOptions.AggressiveOptimization</c> (netstandard2.0 does not name it): the method is compiled
    /// optimized at its first call and never recompiled.
    /// </summary>
    public const MethodImplOptions OptimizedAtFirstCall = (MethodImplOptions)512;
}
