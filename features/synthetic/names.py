"""Plausible Chinese names: a family surname and one or two given characters by gender."""

from __future__ import annotations

import numpy as np

# Common surnames, roughly in order of frequency; the weights favour the first ones.
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤"
)
_GIVEN_F = list("芳娜敏静丽艳娟霞秀英慧婷雪琳玉萍红梅兰颖欣怡佳悦晨思雨涵梓诗语若可馨月")
_GIVEN_M = list("伟强磊军勇杰涛明超辉刚健鹏斌宇浩俊峰博文轩子豪然睿泽宏志航晨阳凯东林")
_GIVEN_ANY = list("一小嘉家子梓思天金文海春")


def surname_choices(rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw `n` surnames with a Zipf-like preference for the common ones."""
    weights = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.8
    return rng.choice(np.array(SURNAMES), size=n, p=weights / weights.sum())


def given_names(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    """One given name per child: one or two characters chosen by gender."""
    n = len(female)
    first_f = rng.choice(np.array(_GIVEN_F), size=n)
    first_m = rng.choice(np.array(_GIVEN_M), size=n)
    lead = rng.choice(np.array(_GIVEN_ANY + _GIVEN_F + _GIVEN_M), size=n)
    main = np.where(female, first_f, first_m)
    two = rng.random(n) < 0.7
    return np.where(two, np.char.add(lead, main), main)
