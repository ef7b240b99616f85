using System;
using System.Linq;
using System.Reflection;
using GradientGuard.Analyzers.Infrastructure;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// The Sequential bound counts a call of a name in <see cref="SequentialLayerBound.NoWeightFactories"/> as no weight
/// layer, and only a call named in <see cref="SequentialLayerBound.SaturatingFactories"/> as a Sigmoid/Tanh. That holds
/// only while TorchSharp's factories are what the lists say: checked against TorchSharp.
/// </summary>
public sealed class SequentialLayerBoundTests
{
    [Fact]
    public void Every_factory_named_as_building_no_weight_layer_is_a_torch_nn_factory_of_another_kind()
    {
        var factories = typeof(torch.nn).GetMethods(BindingFlags.Public | BindingFlags.Static);
        foreach (string name in SequentialLayerBound.NoWeightFactories)
        {
            var overloads = factories.Where(m => m.Name == name).ToList();
            Assert.True(overloads.Count > 0, $"torch.nn has no {name}");
            foreach (var overload in overloads)
            {
                Type returned = overload.ReturnType;
                Assert.False(typeof(Linear).IsAssignableFrom(returned) || typeof(Convolution).IsAssignableFrom(returned) || typeof(Bilinear).IsAssignableFrom(returned),
                    $"torch.nn.{name} returns {returned.Name}, a weight layer");
            }
        }
    }

    [Fact]
    public void Only_the_factories_named_as_saturating_build_a_Sigmoid_or_a_Tanh()
    {
        var saturating = typeof(torch.nn).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => typeof(Sigmoid).IsAssignableFrom(m.ReturnType) || typeof(Tanh).IsAssignableFrom(m.ReturnType))
            .Select(m => m.Name)
            .Distinct()
            .OrderBy(n => n)
            .ToList();
        Assert.Equal(SequentialLayerBound.SaturatingFactories.OrderBy(n => n), saturating);
    }
}
