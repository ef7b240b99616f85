using System.Runtime.CompilerServices;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// How the runtime compiles the rules' hottest methods. The compiler's own code is precompiled (ReadyToRun); the rules'
/// is compiled at first call, unoptimized, and recompiled optimized only once the runtime has found it hot, through an
/// instrumented stage (dynamic PGO). In the compiler's process that takes many passes: over three passes of the
/// generated code base none of the rules' 535 compiled methods reached the optimized tier, and over seven passes of the
/// real-code folder 97 % of the rules' samples were in unoptimized code (benchmarks/README.md, session 20). A build in a
/// new compiler process runs them unoptimized throughout.
/// <para>
/// The methods marked <see cref="OptimizedAtFirstCall"/> are the hot text and syntax tests every rule's gates run on
/// every file (the word searches, the declarations list): string and syntax work that profile-guided recompilation does
/// little for. Code that walks operations and symbols, through interface calls that the profile-guided tier
/// devirtualizes, is left to the tiering: marked, it ran faster in the first passes and slower once the unmarked code
/// had tiered up.
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
